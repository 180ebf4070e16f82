"""giamsat: offline-first supervision of goods under customs control (Decision 1966/QĐ-TCHQ, Arts 35-44)."""

__version__ = "0.1.0"
