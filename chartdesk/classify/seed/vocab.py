"""Word banks for the seed corpus. Invented names and places only."""

from __future__ import annotations

GIVEN = (
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan "
    "Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy Matthew Betty Anthony Sandra "
    "Mark Ashley Donald Kimberly Steven Emily Paul Donna Andrew Michelle Joshua Carol Kenneth Amanda Kevin "
    "Melissa Brian Deborah George Stephanie Timothy Rebecca Ronald Laura Jason Helen Edward Sharon Jeffrey "
    "Cynthia Ryan Kathleen Jacob Amy Gary Angela Nicholas Shirley Eric Anna Jonathan Brenda Stephen Pamela "
    "Larry Emma Justin Nicole Scott Samantha Brandon Katherine Benjamin Christine Samuel Debra Gregory Rachel "
    "Alexander Carolyn Frank Janet Patrick Maria Raymond Olivia Jack Heather Dennis Diane Jerry Julie Tyler "
    "Joyce Aaron Victoria Jose Kelly Adam Christina Nathan Lauren Henry Joan Douglas Evelyn Zachary Judith "
    "Wei Mei Hiroshi Yuki Aisha Omar Fatima Priya Raj Ngozi Chinedu Svetlana Dmitri Lucia Mateo Sofia Chloe"
).split()
FAMILY = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson "
    "Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis "
    "Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall "
    "Rivera Campbell Mitchell Carter Roberts Okafor Kowalski Lindqvist Haddad Petrov Tanaka Chen Patel Singh "
    "O'Neill McAllister Fitzgerald Abernathy Delacroix Van Buren De Souza Al-Rashid Nakamura Schmidt Novak "
    "Brennan Castillo Morales Romero Vargas Ortiz Gutierrez Chavez Ramos Reyes Kaur Iyer Mensah Osei Achebe"
).split()
CLINICIAN_FAMILY = (
    "Albright Baptiste Chowdhury Dunmore Ellery Fairbanks Garrow Holloway Ingram Jaworski Kessler Langford "
    "Marchetti Northcott Ostrowski Pennington Quintero Radcliffe Sorensen Thackeray Underhill Vasquez "
    "Whitfield Yamamoto Zielinski Abara Bhatt Coleridge Drummond Everett"
).split()
CLINIC_FIRST = (
    "Valley Riverside Lakeshore Summit Cedar Oakwood Northgate Harbor Meadowbrook Pinecrest Westfield "
    "Eastside Bayview Highland Maplewood Sunrise Greenfield Stonebridge Willow Creek Fairview Brookside "
    "Hillcrest Parkside Kingston Silverlake Redwood Granite Clearwater Ashford"
).split()
CLINIC_KIND = (
    "Family Medicine|Internal Medicine Associates|Medical Group|Health Center|Primary Care|Pediatrics|"
    "Cardiology Associates|Orthopaedic Clinic|Women's Health|Community Clinic|Physicians Group|"
    "Gastroenterology|Neurology Specialists|Dermatology|Endocrinology Partners|Pulmonary Care|"
    "Urology Associates|Rheumatology Clinic|Sports Medicine|Oncology & Hematology"
).split("|")
HOSPITAL_KIND = "Regional Medical Center|General Hospital|Memorial Hospital|University Hospital|Community Hospital|Medical Center".split("|")
LAB_NAMES = "Quantum Diagnostics|Precision Labs|Central Reference Laboratory|BioPath Laboratories|ClearPath Diagnostics|Allied Clinical Labs|Meridian Lab Services|Keystone Pathology".split("|")
IMAGING_NAMES = "Advanced Imaging|Radiology Partners|Open MRI Center|Diagnostic Imaging Associates|Medical Imaging Center|Outpatient Radiology".split("|")
PAYERS = (
    "BlueCross BlueShield|Aetna|UnitedHealthcare|Cigna|Humana|Kaiser Permanente|Anthem|Molina Healthcare|"
    "Medicare|Medicaid|Tricare|Oscar Health|Ambetter|WellCare|Highmark|Harvard Pilgrim|Centene|Premera"
).split("|")
PLANS = "PPO|HMO|EPO|POS|HDHP|Medicare Advantage|Gold PPO|Silver HMO|Choice Plus|Open Access".split("|")
STREETS = "Main St|Oak Ave|Elm Street|Park Blvd|Washington Ave|Lake Rd|Hillside Dr|Maple Lane|Cedar Ct|Sunset Blvd|Broadway|Market St|River Rd|Church St|2nd Ave".split("|")
CITIES = "Springfield|Fairview|Madison|Georgetown|Clinton|Franklin|Greenville|Bristol|Salem|Ashland|Dover|Milton|Newport|Oxford|Riverton".split("|")
STATES = "CA NY TX FL IL PA OH GA NC MI NJ VA WA AZ MA TN IN MO MD WI CO MN".split()

LAB_TESTS = [
    ("Glucose", "mg/dL", (65, 99)), ("BUN", "mg/dL", (7, 20)), ("Creatinine", "mg/dL", (0.6, 1.3)),
    ("Sodium", "mmol/L", (135, 145)), ("Potassium", "mmol/L", (3.5, 5.1)), ("Chloride", "mmol/L", (98, 107)),
    ("CO2", "mmol/L", (22, 29)), ("Calcium", "mg/dL", (8.6, 10.3)), ("Total Protein", "g/dL", (6.0, 8.3)),
    ("Albumin", "g/dL", (3.5, 5.0)), ("ALT", "U/L", (7, 56)), ("AST", "U/L", (10, 40)),
    ("Alkaline Phosphatase", "U/L", (44, 147)), ("Total Bilirubin", "mg/dL", (0.1, 1.2)),
    ("WBC", "x10^3/uL", (4.5, 11.0)), ("RBC", "x10^6/uL", (4.2, 5.9)), ("Hemoglobin", "g/dL", (12.0, 17.5)),
    ("Hematocrit", "%", (36, 50)), ("Platelets", "x10^3/uL", (150, 400)), ("MCV", "fL", (80, 100)),
    ("TSH", "uIU/mL", (0.4, 4.0)), ("Free T4", "ng/dL", (0.8, 1.8)), ("Hemoglobin A1c", "%", (4.0, 5.6)),
    ("Total Cholesterol", "mg/dL", (125, 200)), ("LDL Cholesterol", "mg/dL", (0, 100)), ("HDL Cholesterol", "mg/dL", (40, 80)),
    ("Triglycerides", "mg/dL", (0, 150)), ("Vitamin D, 25-OH", "ng/mL", (30, 100)), ("Ferritin", "ng/mL", (20, 250)),
    ("PSA", "ng/mL", (0, 4)), ("INR", "", (0.8, 1.2)), ("eGFR", "mL/min/1.73m2", (60, 120)), ("Magnesium", "mg/dL", (1.7, 2.2)),
]
PANELS = "Comprehensive Metabolic Panel|Basic Metabolic Panel|Complete Blood Count with Differential|Lipid Panel|Thyroid Panel|Hepatic Function Panel|Urinalysis, Complete|Hemoglobin A1c|Iron Studies|Coagulation Panel".split("|")
SPECIMENS = "Serum|Whole blood|Plasma|Urine|EDTA whole blood".split("|")

DRUGS = [
    ("Lisinopril", "10 mg", "tablet"), ("Metformin", "500 mg", "tablet"), ("Atorvastatin", "20 mg", "tablet"),
    ("Amlodipine", "5 mg", "tablet"), ("Levothyroxine", "50 mcg", "tablet"), ("Omeprazole", "20 mg", "capsule"),
    ("Sertraline", "50 mg", "tablet"), ("Amoxicillin", "500 mg", "capsule"), ("Azithromycin", "250 mg", "tablet"),
    ("Prednisone", "10 mg", "tablet"), ("Albuterol HFA", "90 mcg/actuation", "inhaler"), ("Gabapentin", "300 mg", "capsule"),
    ("Hydrochlorothiazide", "25 mg", "tablet"), ("Losartan", "50 mg", "tablet"), ("Metoprolol succinate", "25 mg", "tablet"),
    ("Fluticasone", "50 mcg", "nasal spray"), ("Cephalexin", "500 mg", "capsule"), ("Escitalopram", "10 mg", "tablet"),
    ("Montelukast", "10 mg", "tablet"), ("Tamsulosin", "0.4 mg", "capsule"), ("Insulin glargine", "100 units/mL", "pen"),
]
SIGS = (
    "Take 1 tablet by mouth once daily|Take 1 tablet by mouth twice daily with meals|Take 1 capsule by mouth every 8 hours for 10 days|"
    "Inhale 2 puffs every 4-6 hours as needed for wheezing|1 spray each nostril daily|Take 2 tablets on day 1, then 1 tablet daily for 4 days|"
    "Take 1 tablet at bedtime|Inject 20 units subcutaneously at bedtime|Take one by mouth daily in the morning"
).split("|")

DIAGNOSES = [
    ("Essential hypertension", "I10"), ("Type 2 diabetes mellitus without complications", "E11.9"),
    ("Hyperlipidemia, unspecified", "E78.5"), ("Acute upper respiratory infection", "J06.9"),
    ("Low back pain", "M54.50"), ("Major depressive disorder, single episode", "F32.9"),
    ("Gastro-esophageal reflux disease", "K21.9"), ("Hypothyroidism, unspecified", "E03.9"),
    ("Asthma, mild intermittent", "J45.20"), ("Osteoarthritis of knee", "M17.9"), ("Urinary tract infection", "N39.0"),
    ("Chest pain, unspecified", "R07.9"), ("Atrial fibrillation", "I48.91"), ("Migraine without aura", "G43.009"),
    ("Anxiety disorder, unspecified", "F41.9"), ("Vitamin D deficiency", "E55.9"), ("Obesity", "E66.9"),
    ("Community acquired pneumonia", "J18.9"), ("Chronic kidney disease stage 3", "N18.30"), ("Iron deficiency anemia", "D50.9"),
]
CPT = [
    ("99213", "Office visit, established patient, low complexity"), ("99214", "Office visit, established, moderate"),
    ("99203", "New patient visit, low complexity"), ("99204", "New patient visit, moderate"),
    ("99395", "Preventive visit, 18-39"), ("99396", "Preventive visit, 40-64"), ("36415", "Venipuncture"),
    ("81002", "Urinalysis, dipstick"), ("93000", "Electrocardiogram, complete"), ("90471", "Immunization administration"),
    ("90686", "Influenza vaccine, quadrivalent"), ("87880", "Rapid strep test"), ("94010", "Spirometry"),
    ("11721", "Debridement of nails, 6 or more"), ("20610", "Arthrocentesis, major joint"), ("69210", "Cerumen removal"),
]
IMAGING = [
    ("Chest X-ray, 2 views", "CHEST PA AND LATERAL", "lungs are clear. No focal consolidation, effusion or pneumothorax. Cardiomediastinal silhouette is normal"),
    ("CT Abdomen and Pelvis with contrast", "CT ABDOMEN/PELVIS W CONTRAST", "no acute intra-abdominal process. The appendix is normal. No free fluid"),
    ("MRI Lumbar Spine without contrast", "MRI L-SPINE WO CONTRAST", "mild degenerative disc disease at L4-L5 with a small central disc protrusion. No significant canal stenosis"),
    ("Ultrasound, Abdomen Complete", "US ABDOMEN COMPLETE", "the liver is normal in size and echotexture. No gallstones. Common bile duct measures 4 mm"),
    ("Screening Mammogram, bilateral", "MAMMO SCREENING BILATERAL", "scattered fibroglandular densities. No suspicious mass, calcification or architectural distortion. BI-RADS 1"),
    ("CT Head without contrast", "CT HEAD WO CONTRAST", "no acute intracranial hemorrhage, mass effect or territorial infarct"),
    ("X-ray Right Knee, 3 views", "XR KNEE RT 3V", "moderate medial joint space narrowing with osteophytes. No fracture or effusion"),
    ("Echocardiogram, transthoracic", "TTE COMPLETE", "normal left ventricular size and function, ejection fraction 60 percent. No significant valvular disease"),
    ("DEXA Bone Density", "DXA BONE DENSITY", "lumbar spine T-score -1.8, consistent with osteopenia"),
    ("Ultrasound Thyroid", "US THYROID", "a 9 mm hypoechoic nodule in the right lobe. No suspicious features"),
]
SPECIALTIES = "cardiology|gastroenterology|orthopaedics|neurology|dermatology|endocrinology|pulmonology|rheumatology|urology|physical therapy|ENT|ophthalmology|general surgery|psychiatry".split("|")
REASONS = (
    "exertional chest discomfort and an abnormal ECG|persistent heartburn despite PPI therapy|right knee pain limiting walking|"
    "recurrent headaches with visual aura|a changing pigmented lesion on the back|poorly controlled type 2 diabetes|"
    "chronic cough and dyspnea on exertion|joint swelling and morning stiffness|microscopic hematuria|"
    "lower back pain radiating to the left leg|hoarseness for six weeks|blurred vision|a symptomatic inguinal hernia|"
    "worsening anxiety and low mood"
).split("|")
SYMPTOMS = "cough|fatigue|headache|knee pain|back pain|sore throat|dizziness|shortness of breath|abdominal pain|rash|palpitations|insomnia|fever".split("|")
