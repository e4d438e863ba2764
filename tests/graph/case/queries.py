"""GraphQL documents shared by the Mine dokumenter tests."""

from __future__ import annotations

CASES = """
query($filter: CaseFilter, $first: Int, $after: String) {
  viewer { cases(filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id caseNumber title kind kindLabel status statusLabel
                          openedAt closedAt } }
  } }
}
"""

FULL = """
query($first: Int) {
  viewer { cases(first: $first) { totalCount nodes {
    id caseNumber kind status openedAt closedAt
    documents { id documentNumber title date direction directionLabel isDecision
                files { name contentType size downloadUrl } }
    decision { id documentNumber title isDecision files { name downloadUrl } }
  } } }
}
"""

NODE = """
query($id: ID!) { node(id: $id) { id
  ... on Case { caseNumber title decision { documentNumber } }
  ... on Document { documentNumber title files { name } } } }
"""
