"""The rules of access: keys and scopes, usage metering and quota, rate limits."""
