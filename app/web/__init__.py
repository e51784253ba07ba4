"""The web pages: sign-in, the inspector's phone page, the distributor's reports and HQ's audit
queue and diversion map. Plain HTML and ES modules that talk to /api/v1; no build step."""
