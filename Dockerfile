FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update && apt-get install -y --no-install-recommends gettext curl && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY linkage ./linkage
COPY agencies ./agencies
COPY incidents ./incidents
COPY notifications ./notifications
RUN pip install --no-cache-dir .
COPY . .
# Static files are collected and the translations compiled at build time; WhiteNoise serves the former.
RUN LINKAGE_MODE=embedded DJANGO_DEBUG=false python manage.py collectstatic --noinput \
 && LINKAGE_MODE=embedded python scripts/compile_messages.py
RUN useradd --create-home linkage && mkdir -p /app/var && chown -R linkage /app/var
USER linkage
# One web replica: gunicorn (HTTP, linkage.wsgi:application) on 8000, Daphne (WebSockets,
# linkage.asgi:application) on 8001; nginx in front routes /ws/ to the latter (deploy/nginx.conf).
EXPOSE 8000 8001
CMD ["deploy/web.sh"]
