#!/usr/bin/env python3
"""Scrapes a URL at a fixed rate over one keep-alive connection until killed, as a Prometheus set
to a 10 ms scrape interval would; prints how many scrapes answered 200 and their median time.

    bench/scraper.py http://127.0.0.1:8080/metrics 100
"""
import http.client
import signal
import statistics
import sys
import time
import urllib.parse


def main():
    url = urllib.parse.urlparse(sys.argv[1])
    rate = float(sys.argv[2])
    period = 1.0 / rate
    ok, times = 0, []
    stop = False

    def on_term(*_):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_term)
    conn = None
    next_t = time.monotonic()
    while not stop:
        try:
            if conn is None:
                conn = http.client.HTTPConnection(url.hostname, url.port, timeout=5)
            t0 = time.monotonic()
            conn.request("GET", url.path)
            res = conn.getresponse()
            res.read()
            if res.status == 200:
                ok += 1
                times.append(time.monotonic() - t0)
        except (OSError, http.client.HTTPException):
            conn = None  # the run has not started listening yet, or has ended
        next_t += period
        delay = next_t - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        else:
            next_t = time.monotonic()  # fell behind: do not burst to catch up
    median_ms = statistics.median(times) * 1e3 if times else float("nan")
    print(f"scrapes {ok} median {median_ms:.3f} ms")


if __name__ == "__main__":
    main()
