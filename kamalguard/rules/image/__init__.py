"""Image rules (KG3xx): the Dockerfile and .dockerignore the build uses."""
