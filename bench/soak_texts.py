"""What the soak's parents write: everyday class-chat messages and abusive ones.

`{teacher}`, `{head}` and `{pupil}` are filled in from each school's roster. The label here is
only what the message was written to be; the soak asks the rules core for every message and
counts by its verdict.
"""

from __future__ import annotations

CLEAN = (
    "Is it swimming on Tuesday or Wednesday this half term?",
    "Does anyone have a spare book bag? Ours has vanished",
    "Reminder: parents evening bookings close on Friday",
    "Who's doing the cake stall at the summer fair? I can do 2-3pm",
    "Found a blue water bottle by the gate, handed it in to the office",
    "Happy birthday to {pupil}! Hope they have a fab day",
    "Non uniform day tomorrow, don't forget the £1",
    "The kids loved the trip to the farm, thanks to everyone who helped",
    "Does anyone know what the spelling words are this week?",
    "Is the after school football club running next week?",
    "My husband will kill me, I forgot the costume again",
    "Anyone fancy a coffee after drop off?",
    "{teacher} said the reading books change on Mondays now",
    "Thank you {head} for organising the trip, the kids loved it",
    "Can someone remind me what time pick up is on Friday?",
    "We've got a spare school jumper age 7-8 if anyone needs one",
    "Lovely assembly this morning, well done everyone",
    "Are we meant to bring packed lunches for the trip?",
    "Has anyone seen a lost PE bag with a dinosaur on it?",
    "Costume ideas for world book day? I'm stuck",
    "That homework was a killer, took us all evening",
    "Does the breakfast club open at 7:45 or 8?",
    "Please can whoever borrowed our umbrella bring it back, no rush",
    "Great sports day, the kids were brilliant",
    "Who is collecting for the teachers' end of year present?",
    "Wrap them up warm, it's freezing at drop off",
    "Does anyone know if the school photos are this week?",
    "Thanks for the lift yesterday, really appreciated",
    "Is it a half day on the last day of term?",
    "Harvest festival donations go to the hall by Friday please",
)

ABUSIVE = (
    "go f*ck yourself Debbie",
    "you absolute c.u.n.t",
    "what a useless waste of space you are",
    "f*ck off nobody asked you",
    "I'll put a brick through his window",
    "{teacher} is useless and should be sacked",
    "{head} is a joke and should be sacked",
    "She'd better watch her back at pickup tomorrow",
    "shut up you stupid cow",
    "{teacher} is a lazy idiot who can't teach",
    "you're a pathetic excuse for a parent",
    "{pupil} is a horrible little brat, keep him away from my son",
    "this school is run by morons",
    "I know where you live and I'll be waiting",
    "piss off and mind your own business",
    "{head} is a liar and a disgrace",
    "whoever parked across my drive is a selfish prick",
    "get lost you ugly slag",
)
