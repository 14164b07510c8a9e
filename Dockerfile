# Partner Portal — one image for web, worker and beat (docker-compose.yml picks the command).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    DJANGO_ENV=production STATIC_ROOT=/app/staticfiles MEDIA_ROOT=/app/media

# Pango and HarfBuzz for WeasyPrint (PDF diplomas and welcome packs); gettext for translations.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
      fonts-dejavu-core gettext curl \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY . .
RUN pip install -e .
# collectstatic needs a key but no database; the real key comes from the environment at run time.
RUN SECRET_KEY=build-only python manage.py collectstatic --noinput \
 && useradd --system --home /app portal && mkdir -p /app/media /app/private \
 && chown -R portal /app/media /app/private
USER portal

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s CMD curl -fsS http://127.0.0.1:8000/healthz || exit 1
CMD ["gunicorn", "partnerportal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
