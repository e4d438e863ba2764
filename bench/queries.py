"""The queries the benchmark sends: Min side's first page, and its parts."""

from __future__ import annotations

DASHBOARD = """
query Dashboard {
  viewer {
    name { fullName }
    levelOfAssurance
    properties(first: 100) {
      totalCount
      nodes {
        matrikkelnummer { text }
        address { text }
        ownershipShare
        feeBasis { total { amount currency } }
        propertyTaxBasis { annualTax { amount } }
        waterMeters { meterNumber readings(first: 1) { value readOn } }
      }
    }
    cases(first: 100) {
      totalCount
      nodes { caseNumber title kind status decision { title date } }
    }
    invoices(first: 100) {
      totalCount
      nodes { invoiceNumber title dueOn status outstanding { amount currency } }
    }
    sources { source status }
  }
}
"""
