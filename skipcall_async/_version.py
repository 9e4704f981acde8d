"""The installed distribution's version, read from package metadata."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("skipcall-async")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
