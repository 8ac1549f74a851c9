"""The gateway core: plain values in, plain values or typed errors (services.errors) out. No Flask here."""
