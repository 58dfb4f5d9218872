"""Where the savings show up in LangSmith: the LLM run's metadata.

Runs offline: ``python examples/langsmith_metadata.py``. It records the runs
locally with LangChain's ``RunCollectorCallbackHandler`` (the same run objects
``LangChainTracer`` sends to LangSmith). With ``LANGSMITH_TRACING=true`` and
``LANGSMITH_API_KEY`` set, the very same ``headroom_*`` keys appear on the LLM
run in LangSmith, next to the wrapped model's ``ls_provider`` / ``ls_model_name``
(so LangSmith prices the call) and its token usage (counted once).
"""

from __future__ import annotations

from _offline_model import OfflineChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tracers.run_collector import RunCollectorCallbackHandler

from headroom_integrations.langchain import HeadroomChatModel


def ci_log(lines: int = 3000) -> str:
    """A CI log: thousands of routine lines and one failure."""
    out = [f"[{i:05d}] INFO  test_worker: test_case_{i % 40} passed in {(i * 37) % 900} ms" for i in range(lines)]
    out[2211] = "[02211] ERROR test_worker: test_payment_retry failed: AssertionError: expected 3 retries, got 1"
    return "\n".join(out)


def main() -> None:
    conversation = [
        SystemMessage("You are a CI assistant."),
        HumanMessage("Fetch the log of build 9912."),
        AIMessage("", tool_calls=[{"name": "get_ci_log", "args": {"build": 9912}, "id": "call_1"}]),
        ToolMessage(ci_log(), tool_call_id="call_1", name="get_ci_log"),
        HumanMessage("Which test failed at line 02211?"),
    ]
    collector = RunCollectorCallbackHandler()
    reply = HeadroomChatModel(OfflineChatModel()).invoke(conversation, config={"callbacks": [collector]})
    print("answer:", reply.content)

    (run,) = [r for r in collector.traced_runs if r.run_type == "llm"]
    metadata = run.extra["metadata"]
    print("LLM run metadata (what LangSmith shows):")
    for key in sorted(k for k in metadata if k.startswith(("headroom_", "ls_"))):
        print(f"  {key}: {metadata[key]}")
    print("usage on the run:", run.outputs["generations"][0][0]["message"]["kwargs"]["usage_metadata"])


if __name__ == "__main__":
    main()
