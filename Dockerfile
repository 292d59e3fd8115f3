# syntax=docker/dockerfile:1
# Build stage: resolve and build wheels for the pinned dependencies (asyncpg and friends may
# need a compiler), so that the runtime image carries no build tools.
FROM python:3.11-slim AS build
WORKDIR /src
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md requirements.lock ./
COPY bot ./bot
COPY infra ./infra
COPY web ./web
COPY handlers ./handlers
COPY services ./services
COPY models ./models
COPY scheduler ./scheduler
COPY config ./config
# Every dependency at the version and hash locked in requirements.lock, then the project alone.
RUN pip wheel --no-cache-dir --require-hashes --wheel-dir /wheels -r requirements.lock \
    && pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

# Runtime stage: the app and its wheels, run as an unprivileged user.
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
RUN useradd --create-home --uid 10001 bot
# LibreOffice Writer (no GUI) turns the committee's Word reports into PDF (`admin report`); the
# Liberation fonts stand in for Times New Roman with the same widths, so pages break as in Word.
# Build with --build-arg PDF_REPORTS=0 for an image ~300 MB smaller that writes DOCX only.
ARG PDF_REPORTS=1
RUN if [ "$PDF_REPORTS" = "1" ]; then \
        apt-get update && apt-get install -y --no-install-recommends \
            libreoffice-writer-nogui fonts-liberation \
        && rm -rf /var/lib/apt/lists/*; \
    fi
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --no-deps /wheels/*.whl && rm -rf /wheels
WORKDIR /app
RUN mkdir -p /app/data && chown bot:bot /app/data
USER bot
# Healthy = the database answers and its schema is the one this code expects.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "-m", "bot.admin", "health"]
# Migrations first (idempotent; concurrent starts serialise on an advisory lock), then the bot.
CMD ["sh", "-c", "python -m bot.admin migrate && exec python -m bot"]
