"""Pacing: everything that decides when a request on a key may go, behind one seam.

The request funnel (``_base_client``) sees only `RateLimiter` and the stores; inside, imports go one way:

* ``settings``: lanes, the plan's window, a key's settings (imports nothing of pacing);
* ``headers``: a response's rate-limit headers, read; ``interpret``: what they say of the key's quota (an
  ``Observation``), with the per-process knowledge of clocks and windows;
* ``state``: what a store keeps of a key; ``rules``: every rule, as steps on that state (pure: no I/O, no clock);
* ``backend``: the seam: where a key's state lives, and the in-process backend; ``redis/``: the Redis backend,
  its link (the one atomic swap, health, wake-ups) and its store;
* ``limiter``: the waiting tasks and their timer over one backend; ``stores``: the store interface and the
  in-process store; ``policy``: the user's `RateLimitPolicy`; ``resolve``: which store a policy's clients use.
"""
