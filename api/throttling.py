"""Each app's rate (API_RATE, 600 a minute by default), counted where every web server shares it
and exact under concurrency: a fixed window from the app's first call, counted in one atomic step
(tenancy.counters). DRF's own throttles keep a list of call times in the cache, read and then
written back, so parallel calls overwrite each other's and more get through than the rate says."""

from rest_framework.throttling import SimpleRateThrottle

from tenancy import counters


class AppRateThrottle(SimpleRateThrottle):
    scope = "user"

    def get_cache_key(self, request, view):
        if request.user is not None and request.user.is_authenticated:
            return f"api:app:{request.user.pk}"
        return f"api:address:{self.get_ident(request)}"

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        count = counters.hit(self.get_cache_key(request, view), per=self.duration)
        self._wait = count.wait()
        return count.value <= self.num_requests

    def wait(self):
        return self._wait
