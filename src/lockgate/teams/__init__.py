"""Teams (one more budget scope in the gate) and the budgets and limits set at run time."""
