"""Operations, one mixin per resource, each method a few lines on top of the funnel in ``_base_client``."""
