"""gunicorn settings of the bench peer: 2 sync workers (gunicorn's default worker class), no
access log. The statement counters are created here, in the master, so the workers share them."""
import benchproj.stats

benchproj.stats.init()

workers = 2
accesslog = None
errorlog = "-"
loglevel = "warning"
