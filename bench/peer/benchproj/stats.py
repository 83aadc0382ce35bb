"""Bench-only statement counter, shared by all gunicorn workers.

gunicorn.conf.py calls init() in the master before the workers fork, so the two counters live in
shared memory. The middleware wraps every database execution of a request
(connection.execute_wrapper, which sees each SQL statement Django sends, with or without DEBUG)
and adds the request and its statements to the totals. GET /bench/stats reads them and is not
counted itself.
"""
import multiprocessing

from django.db import connection

_requests = None
_statements = None


def init():
    global _requests, _statements
    _requests = multiprocessing.Value("q", 0)
    _statements = multiprocessing.Value("q", 0)


def snapshot():
    if _requests is None:
        return {"requests": None, "statements": None}
    return {"requests": _requests.value, "statements": _statements.value}


class CountStatementsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/bench/stats" or _requests is None:
            return self.get_response(request)
        count = [0]

        def counter(execute, sql, params, many, context):
            count[0] += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            response = self.get_response(request)
        with _requests.get_lock():
            _requests.value += 1
        with _statements.get_lock():
            _statements.value += count[0]
        return response
