"""What a host operates Sello with: health and readiness endpoints, JSON logs with a request id, checks."""
