"""Weekly newsletter of the most important LLM papers."""
