"""What the HTTP dialects share: the request-parameter reader (JSON, form, multipart, PHP
brackets), declared error mappings, and the pieces both Octeth dialects (/api.php and /api/v1)
read and answer alike. A dialect imports edge/ and services/, never another dialect."""
