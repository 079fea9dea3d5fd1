"""Access: API keys, authentication, usage and quota, rate limits."""
