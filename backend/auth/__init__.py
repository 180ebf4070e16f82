"""Who is asking: passkeys (WebAuthn), enrollment links, server-side sessions, API tokens for machine clients."""
