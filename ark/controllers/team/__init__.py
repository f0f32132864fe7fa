"""The ArkTeam controller: roles become ArkAgents, status says whether the team can run.

==============  ===============================================================
``controller``  the reconcile and its watches
``agents``      the ArkAgents a team owns (pure)
``status``      phase, roles and conditions (pure)
``history``     which finished runs the history limits delete (pure)
``references``  indexes from referenced objects back to teams
==============  ===============================================================
"""
