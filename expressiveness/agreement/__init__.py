"""Answers learnt from and checked against human ratings: rank correlations with participant
intervals (correlation.py), validate (validate.py), the measures model's training
(train_measures.py) and several models side by side (compare.py). Import the modules themselves."""
