"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) at /open311/v2/: the catalogue as services, cases as
service requests, and POSTed requests entering the supervision centre's queue like any other report."""
