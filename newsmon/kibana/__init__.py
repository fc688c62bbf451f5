"""Kibana: the saved objects newsmon ships (data views, Lens panels, the dashboard), importing
them into Kibana, and running each panel's query against Elasticsearch."""
