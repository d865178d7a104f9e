"""The project's WSGI application with bench.profiling's sampler (on when BENCH_PROFILE is set):
what `make bench`'s profiled server serves. Never the product's entry point."""

from bench.profiling import wsgi_application

application = wsgi_application()
