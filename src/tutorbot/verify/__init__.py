"""Verification of model text before a learner reads it: loops, facts, support by the sources.

Chat answers, plan guidance, quiz feedback and profile summaries pass through the same checks,
with the bundled 135M model and with a 7B–32B model alike: a sentence is shown only when its facts
are stated by the sources it cites and its content matches one of their sentences.
"""
