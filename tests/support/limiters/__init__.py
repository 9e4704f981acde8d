"""Real rate limiters the SDK is judged against, each an app on a free port (`nestjs`: @nestjs/throttler)."""
