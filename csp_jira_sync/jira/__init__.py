"""Everything that talks to Jira: the gateway on the `jira` package (`gateway`), the retry policy
(`retry`), and the pure parts the core may use: issue shapes (`model`) and Jira's text rules
(`text`: lengths, ADF). Nothing is re-exported here, so importing a pure part never loads the
gateway's HTTP stack."""
