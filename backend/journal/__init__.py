"""The one write path: command envelopes, apply(), idempotency by command id, the hash-chained journal."""
