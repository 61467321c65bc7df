"""Stand-ins for the internet and for an LLM, for the tests, the benchmarks and `seascout demo`:
a loopback replay server of recorded responses (`replay`), a scripted fake LLM
(`fake_model`), an OpenAI-compatible stub server (`openai_stub`) and the demo's wiring
(`demo`, `cli`). The product packages never import this one."""
