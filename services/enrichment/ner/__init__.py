"""Named-entity recognition: tokenizer, CRF features, trained taggers and canonical names."""
