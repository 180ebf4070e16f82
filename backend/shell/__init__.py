"""The app shell: home page, language, PWA manifest, service worker, offline page, health check."""
