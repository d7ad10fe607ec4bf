"""Running the dashboard on more than one server: HAProxy's configuration (`haproxy.cfg`) and the command that
writes it for your servers (`python -m deploy.haproxy`). See the README, "Running on more than one server"."""
