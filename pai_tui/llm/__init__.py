"""Model providers behind one streaming interface. Only this package imports the vendor SDKs, and
only when a provider of that kind is first used."""
