"""The OpenAI-compatible API in three layers, as vLLM's entrypoint has them: protocol (the wire format and its
checks), serving (a request to an answer, a refusal or a stream), routes (dispatch); with access (credentials,
rate limit, admission) and metrics beside them."""
