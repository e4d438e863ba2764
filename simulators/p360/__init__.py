"""Public 360 SIF simulator (SOAP 1.1, WCF BasicHttpBinding style).

See :mod:`simulators.p360.app`.
"""
