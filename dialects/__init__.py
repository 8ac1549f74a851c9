"""The other providers' APIs, one package each (kirim, sendpulse, smtpprovider, autorelay): thin
siblings of `commands/` and `api_v1/` over the same services (see the README's "How to add a dialect")."""
