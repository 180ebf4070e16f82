"""Transit under customs supervision (Decision 1966, Arts 41-42): a case per transit declaration, its state machine
(workflow.py), the officers' commands, the departure branch's overdue list and trace cases."""
