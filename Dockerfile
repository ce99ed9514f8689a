FROM python:3.11-slim
WORKDIR /srv/firebreak
COPY pyproject.toml README.md ./
COPY app ./app
RUN pip install --no-cache-dir . && useradd --system --home /srv/firebreak firebreak && mkdir -p data && chown firebreak data
USER firebreak
ENV FIREBREAK_HOST=0.0.0.0 FIREBREAK_PORT=8000
EXPOSE 8000
CMD ["sh", "-c", "firebreak migrate && firebreak serve"]
