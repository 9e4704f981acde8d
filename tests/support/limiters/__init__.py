"""Real rate limiters the SDK is judged against, each started on a free port.

`nestjs` (@nestjs/throttler), `express` (express-rate-limit, each header form), `fastify` (@fastify/rate-limit):
Node.js apps from committed lockfiles, run by `node_app`, serving ``call.json``; `nginx`: ``limit_req`` in front of
the express app with no limiter. `catalogue` names them all, with the best any client could do against each.
"""
