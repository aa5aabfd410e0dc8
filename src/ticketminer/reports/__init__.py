"""Plain-text reports for terminals, rendered from the wire messages, so they show
exactly what an API client gets: anomalies (anomalies.py) and customer insights
(insights.py). The demo prints both."""
