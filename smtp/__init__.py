"""The SMTP dialect: authenticated submission and inbound bounces/complaints (aiosmtpd)."""
