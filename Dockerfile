# One image, three roles: web (default), worker, smtp. Build: docker build -t gatepost .
FROM python:3.11-slim
WORKDIR /opt/gatepost
COPY pyproject.toml README.md ./
COPY app.py wsgi.py cli.py config.py clock.py logs.py gunicorn.conf.py ./
COPY api_v1 api_v1
COPY commands commands
COPY models models
COPY services services
COPY smtp smtp
COPY tracking tracking
COPY ui ui
RUN pip install --no-cache-dir . && useradd --system gatepost
USER gatepost
ENV GATEPOST_BIND=0.0.0.0:8080 GATEPOST_SMTP_LISTEN_HOST=0.0.0.0 GATEPOST_LOG_FORMAT=json
EXPOSE 8080 587 465 25
# web: migrate, then gunicorn; worker: `docker run gatepost gatepost worker`; smtp: `... gatepost smtp`
CMD ["sh", "-c", "gatepost migrate && exec gunicorn -c gunicorn.conf.py wsgi:app"]
