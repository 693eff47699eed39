# jingwang application image for servers (see README "Run on a server"); the database is a separate
# postgis/postgis container. Wheels of psycopg, shapely, pyproj and pyogrio carry their own C libraries.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 JINGWANG_HOME=/data
WORKDIR /app

COPY pyproject.toml README.md ./
COPY api ./api
COPY geo ./geo
COPY webmap ./webmap
COPY data ./data
COPY scripts ./scripts
# Editable, so that `jingwang demo` finds data/boundaries next to the code.
RUN pip install -e '.[server]' && python scripts/fetch_assets.py && useradd --system --home /data jingwang && mkdir -p /data \
    && chown jingwang /data

USER jingwang
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["sh", "-c", "jingwang db upgrade && exec gunicorn --bind 0.0.0.0:8000 --workers ${WEB_WORKERS:-4} --timeout 120 'api:create_app()'"]
