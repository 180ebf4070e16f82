"""Declarations: what the gate needs of each customs declaration, mirrored from the upstream system."""
