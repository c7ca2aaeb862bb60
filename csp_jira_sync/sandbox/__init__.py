"""A stateful Jira Cloud / Data Center stand-in, held to Atlassian's published REST contract."""
