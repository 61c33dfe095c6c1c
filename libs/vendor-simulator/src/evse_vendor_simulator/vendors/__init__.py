"""One router per vendor, each speaking that vendor's API shape under `/<vendor>`."""
