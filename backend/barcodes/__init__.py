"""Barcodes: the payload format printed on container lists, goods lists and transit notices, QR generation,
decoding photos of codes, and ISO 6346 container numbers."""
