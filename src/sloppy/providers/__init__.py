"""LLM providers: the provider table, the client over the warmed SDKs, chat, catalog."""
